import { Background, Character } from "./character.entity";
import { EmailToken, OutboxEmail, PreverifiedEmail } from "./email.entity";
import { DmReadMarker, Message } from "./message.entity";
import { Payment, PointBalance, PointTransaction, Product } from "./payment.entity";
import { RefreshToken, RevokedToken, Session } from "./session.entity";
import { User } from "./user.entity";

export { Background, Character, DmReadMarker, EmailToken, OutboxEmail, PreverifiedEmail, RefreshToken, RevokedToken, Session, User, Message };
export { Payment, PointBalance, PointTransaction, Product };

export const entities = [User, Session, RefreshToken, RevokedToken, EmailToken, PreverifiedEmail, OutboxEmail, Background, Character, Message, DmReadMarker, Product, Payment, PointBalance, PointTransaction];
